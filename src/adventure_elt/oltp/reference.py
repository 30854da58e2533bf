"""Fixed lookup data behind the synthetic generator: countries, states and the product catalogue.

Countries and states/provinces are AdventureWorks' own lists (ISO codes and names, from the
MIT-licensed Microsoft sample); they do not grow with the scale. The product catalogue is kept
as templates (per subcategory: model names, colours, sizes, price range, product line) that the
generator expands into the 504 products of the real database: 295 finished goods in 37
subcategories of 4 categories, plus 209 parts that are never sold on their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """One row of person.stateprovince; its id is its position in `STATES`, counting from 1."""

    code: str
    country: str
    only_state: bool
    name: str
    territory: int


@dataclass(frozen=True)
class Subcategory:
    """How to expand one product subcategory into products.

    Products are `count` combinations of base x colour x size, spread over all bases (each
    colour and size goes round every base before the next). Bases run from the dearest model
    to the cheapest; `price` is the list-price range.
    """

    name: str
    category: int
    count: int
    code: str
    line: str | None
    price: tuple[float, float]
    bases: tuple[str, ...]
    colors: tuple[str, ...]
    sizes: tuple[str, ...]


CATEGORIES: tuple[str, ...] = ("Bikes", "Components", "Clothing", "Accessories")

# name | category | products | number prefix | product line | price from | to | bases | colours
# | sizes  (lists are comma-separated; empty = none)
_SUBCATEGORY_SPEC = """\
Mountain Bikes|1|32|BK-M|M|539.99|3399.99|Mountain-100,Mountain-200,Mountain-300,Mountain-400-W,\
Mountain-500|Silver,Black|38,40,42,44,46,48,52
Road Bikes|1|43|BK-R|R|539.99|3578.27|Road-150,Road-250,Road-350-W,Road-450,Road-550-W,Road-650,\
Road-750|Red,Black,Yellow|44,48,52,58,60,62
Touring Bikes|1|22|BK-T|T|742.35|2384.07|Touring-1000,Touring-2000,Touring-3000|Blue,Yellow|\
46,50,54,58,60,62
Handlebars|2|8|HB||44.54|120.27|HL Mountain Handlebars,HL Road Handlebars,HL Touring Handlebars,\
ML Mountain Handlebars,ML Road Handlebars,ML Touring Handlebars,LL Mountain Handlebars,\
LL Road Handlebars||
Bottom Brackets|2|3|BB||53.99|121.49|HL Bottom Bracket,ML Bottom Bracket,LL Bottom Bracket||
Brakes|2|2|BR||106.5|106.5|Rear Brakes,Front Brakes|Silver|
Chains|2|1|CH||20.24|20.24|Chain|Silver|
Cranksets|2|3|CS||175.49|404.99|HL Crankset,ML Crankset,LL Crankset|Black|
Derailleurs|2|2|DR||91.49|121.46|Rear Derailleur,Front Derailleur|Silver|
Forks|2|3|FK||148.22|229.49|HL Fork,ML Fork,LL Fork||
Headsets|2|3|HS||34.2|124.73|HL Headset,ML Headset,LL Headset||
Mountain Frames|2|28|FR-M|M|249.79|1364.5|HL Mountain Frame,ML Mountain Frame-W,ML Mountain Frame,\
LL Mountain Frame|Silver,Black|38,40,42,44,46,48
Pedals|2|7|PD||40.49|80.99|HL Mountain Pedal,HL Road Pedal,Touring Pedal,ML Mountain Pedal,\
ML Road Pedal,LL Mountain Pedal,LL Road Pedal|Silver/Black|
Road Frames|2|33|FR-R|R|337.22|1431.5|HL Road Frame,ML Road Frame-W,ML Road Frame,LL Road Frame\
|Red,Black,Yellow|44,48,52,58,60,62
Saddles|2|9|SE||27.12|52.64|HL Mountain Seat/Saddle,HL Road Seat/Saddle,HL Touring Seat/Saddle,\
ML Mountain Seat/Saddle,ML Road Seat/Saddle,ML Touring Seat/Saddle,LL Mountain Seat/Saddle,\
LL Road Seat/Saddle,LL Touring Seat/Saddle||
Touring Frames|2|18|FR-T|T|333.42|1003.91|HL Touring Frame,LL Touring Frame|Yellow,Blue|\
44,46,50,54,58,60,62
Wheels|2|14|WH||60.745|357.06|HL Mountain Front Wheel,HL Mountain Rear Wheel,HL Road Front Wheel,\
HL Road Rear Wheel,Touring Front Wheel,Touring Rear Wheel,ML Mountain Front Wheel,\
ML Mountain Rear Wheel,ML Road Front Wheel,ML Road Rear Wheel,LL Mountain Front Wheel,\
LL Mountain Rear Wheel,LL Road Front Wheel,LL Road Rear Wheel|Black|
Bib-Shorts|3|3|SB|S|89.99|89.99|Men's Bib-Shorts|Multi|S,M,L
Caps|3|1|CA|S|8.99|8.99|AWC Logo Cap|Multi|
Gloves|3|6|GL|S|24.49|37.99|Full-Finger Gloves,Half-Finger Gloves|Black|S,M,L
Jerseys|3|8|LJ|S|49.99|53.99|Long-Sleeve Logo Jersey,Short-Sleeve Classic Jersey|Multi,Yellow|\
S,M,L,XL
Shorts|3|7|SH|S|59.99|69.99|Women's Mountain Shorts,Men's Sports Shorts|Black|S,M,L,XL
Socks|3|4|SO|S|8.99|9.5|Racing Socks,Mountain Bike Socks|White|M,L
Tights|3|3|TG|S|74.99|74.99|Women's Tights|Black|S,M,L
Vests|3|3|VE|S|63.5|63.5|Classic Vest|Blue|S,M,L
Bike Racks|4|1|RA|S|120.0|120.0|Hitch Rack - 4-Bike||
Bike Stands|4|1|ST|M|159.0|159.0|All-Purpose Bike Stand||
Bottles and Cages|4|3|WB|S|4.99|9.99|Mountain Bottle Cage,Road Bottle Cage,Water Bottle - 30 oz.||
Cleaners|4|1|CL|S|7.95|7.95|Bike Wash - Dissolver||
Fenders|4|1|FE|M|21.98|21.98|Fender Set - Mountain||
Helmets|4|3|HL|S|34.99|34.99|Sport-100 Helmet|Red,Black,Blue|
Hydration Packs|4|1|HY|S|54.99|54.99|Hydration Pack - 70 oz.|Silver|
Lights|4|3|LT|R|13.99|44.99|Headlights - Weatherproof,Headlights - Dual-Beam,\
Taillights - Battery-Powered||
Locks|4|1|LO|S|25.0|25.0|Cable Lock||
Panniers|4|1|PA|T|125.0|125.0|Touring-Panniers, Large|Grey|
Pumps|4|2|PU|S|19.99|24.99|Mountain Pump,Minipump||
Tires and Tubes|4|11|TT|S|2.29|35.0|Touring Tire,HL Mountain Tire,HL Road Tire,ML Mountain Tire,\
ML Road Tire,LL Mountain Tire,LL Road Tire,Touring Tire Tube,Mountain Tire Tube,Road Tire Tube,\
Patch Kit/8 Patches||
"""

# Parts that go into finished goods; they have no subcategory and no price. Names in
# `_NUMBERED_PARTS` repeat with a running number (the real catalogue has "Hex Nut 1".."Hex Nut 23").
_PARTS_TEXT = (
    "Adjustable Race, Bearing Ball, BB Ball Bearing, Headset Ball Bearings, Blade, LL Crankarm,"
    " ML Crankarm, HL Crankarm, Chainring Bolts, Chainring Nut, Chainring, Crown Race,"
    " Chain Stays, Decal 1, Decal 2, Down Tube, Mountain End Caps, Road End Caps, Touring End Caps,"
    " Fork End, Freewheel, Guide Pulley, LL Grip Tape, ML Grip Tape, HL Grip Tape, Handlebar Tube,"
    " Head Tube, LL Hub, HL Hub, Keyed Washer, External Lock Washer, Internal Lock Washer,"
    " Lock Ring, Lower Head Race, Metal Angle, Metal Bar, Metal Sheet, LL Nipple, HL Nipple,"
    " Paint - Black, Paint - Red, Paint - Silver, Paint - Blue, Paint - Yellow, Pinch Bolt,"
    " Cup-Shaped Race, Cone-Shaped Race, Reflector, LL Mountain Rim, ML Mountain Rim,"
    " HL Mountain Rim, LL Road Rim, ML Road Rim, HL Road Rim, Touring Rim,"
    " LL Mountain Seat Assembly, ML Mountain Seat Assembly, HL Mountain Seat Assembly,"
    " LL Road Seat Assembly, ML Road Seat Assembly, HL Road Seat Assembly,"
    " LL Touring Seat Assembly, ML Touring Seat Assembly, HL Touring Seat Assembly,"
    " LL Spindle/Axle, HL Spindle/Axle, LL Shell, HL Shell, Spokes, Seat Lug, Stem, Seat Post,"
    " Steerer, Seat Stays, Seat Tube, Top Tube, Tension Pulley, Rear Derailleur Cage,"
    " Front Derailleur Cage, Front Derailleur Linkage, LL Bottom Bracket Shell,"
    " ML Bottom Bracket Shell, HL Bottom Bracket Shell, Fork Crown, Steering Tube, Shift Lever,"
    " Brake Cable, Derailleur Cable, Mountain Frame Lug, Road Frame Lug, Touring Frame Lug"
)
_PARTS = tuple(_PARTS_TEXT.split(", "))
_NUMBERED_PARTS = (
    "Hex Nut",
    "Thin-Jam Hex Nut",
    "Lock Washer",
    "Flat Washer",
    "Lock Nut",
    "Thin-Jam Lock Nut",
    "Metal Plate",
    "Spacer",
)
PART_COUNT = 209


def _split(field: str) -> tuple[str, ...]:
    return tuple(item for item in field.split(",") if item)


def _parse_subcategories(spec: str) -> tuple[Subcategory, ...]:
    rows = []
    for line in spec.splitlines():
        name, category, count, code, pline, low, high, bases, colors, sizes = line.split("|")
        rows.append(
            Subcategory(
                name=name,
                category=int(category),
                count=int(count),
                code=code,
                line=pline or None,
                price=(float(low), float(high)),
                # "Touring-Panniers, Large" is one base: split on commas not followed by a space.
                bases=tuple(b.replace("\0", ", ") for b in _split(bases.replace(", ", "\0"))),
                colors=_split(colors),
                sizes=_split(sizes),
            )
        )
    return tuple(rows)


def part_names() -> list[str]:
    """The 209 part names, unique, in product-id order."""
    names = list(_PARTS)
    counter = 0
    while len(names) < PART_COUNT:
        base = _NUMBERED_PARTS[counter % len(_NUMBERED_PARTS)]
        names.append(f"{base} {counter // len(_NUMBERED_PARTS) + 1}")
        counter += 1
    return names


SUBCATEGORIES: tuple[Subcategory, ...] = _parse_subcategories(_SUBCATEGORY_SPEC)

_COUNTRIES = """\
AD	Andorra
AE	United Arab Emirates
AF	Afghanistan
AG	Antigua and Barbuda
AI	Anguilla
AL	Albania
AM	Armenia
AN	Netherlands Antilles
AO	Angola
AQ	Antarctica
AR	Argentina
AS	American Samoa
AT	Austria
AU	Australia
AW	Aruba
AZ	Azerbaijan
BA	Bosnia and Herzegovina
BB	Barbados
BD	Bangladesh
BE	Belgium
BF	Burkina Faso
BG	Bulgaria
BH	Bahrain
BI	Burundi
BJ	Benin
BM	Bermuda
BN	Brunei
BO	Bolivia
BR	Brazil
BS	Bahamas, The
BT	Bhutan
BV	Bouvet Island
BW	Botswana
BY	Belarus
BZ	Belize
CA	Canada
CC	Cocos (Keeling) Islands
CD	Congo (DRC)
CF	Central African Republic
CG	Congo
CH	Switzerland
CI	Côte d'Ivoire
CK	Cook Islands
CL	Chile
CM	Cameroon
CN	China
CO	Colombia
CR	Costa Rica
CS	Serbia and Montenegro
CU	Cuba
CV	Cape Verde
CX	Christmas Island
CY	Cyprus
CZ	Czech Republic
DE	Germany
DJ	Djibouti
DK	Denmark
DM	Dominica
DO	Dominican Republic
DZ	Algeria
EC	Ecuador
EE	Estonia
EG	Egypt
ER	Eritrea
ES	Spain
ET	Ethiopia
FI	Finland
FJ	Fiji Islands
FK	Falkland Islands (Islas Malvinas)
FM	Micronesia
FO	Faroe Islands
FR	France
GA	Gabon
GB	United Kingdom
GD	Grenada
GE	Georgia
GF	French Guiana
GH	Ghana
GI	Gibraltar
GL	Greenland
GM	Gambia, The
GN	Guinea
GP	Guadeloupe
GQ	Equatorial Guinea
GR	Greece
GS	South Georgia and the South Sandwich Islands
GT	Guatemala
GU	Guam
GW	Guinea-Bissau
GY	Guyana
HK	Hong Kong SAR
HM	Heard Island and McDonald Islands
HN	Honduras
HR	Croatia
HT	Haiti
HU	Hungary
ID	Indonesia
IE	Ireland
IL	Israel
IN	India
IO	British Indian Ocean Territory
IQ	Iraq
IR	Iran
IS	Iceland
IT	Italy
JM	Jamaica
JO	Jordan
JP	Japan
KE	Kenya
KG	Kyrgyzstan
KH	Cambodia
KI	Kiribati
KM	Comoros
KN	Saint Kitts and Nevis
KP	North Korea
KR	Korea
KW	Kuwait
KY	Cayman Islands
KZ	Kazakhstan
LA	Laos
LB	Lebanon
LC	Saint Lucia
LI	Liechtenstein
LK	Sri Lanka
LR	Liberia
LS	Lesotho
LT	Lithuania
LU	Luxembourg
LV	Latvia
LY	Libya
MA	Morocco
MC	Monaco
MD	Moldova
MG	Madagascar
MH	Marshall Islands
MK	Macedonia, Former Yugoslav Republic of
ML	Mali
MM	Myanmar
MN	Mongolia
MO	Macao SAR
MP	Northern Mariana Islands
MQ	Martinique
MR	Mauritania
MS	Montserrat
MT	Malta
MU	Mauritius
MV	Maldives
MW	Malawi
MX	Mexico
MY	Malaysia
MZ	Mozambique
NA	Namibia
NC	New Caledonia
NE	Niger
NF	Norfolk Island
NG	Nigeria
NI	Nicaragua
NL	Netherlands
NO	Norway
NP	Nepal
NR	Nauru
NU	Niue
NZ	New Zealand
OM	Oman
PA	Panama
PE	Peru
PF	French Polynesia
PG	Papua New Guinea
PH	Philippines
PK	Pakistan
PL	Poland
PM	Saint Pierre and Miquelon
PN	Pitcairn Islands
PR	Puerto Rico
PS	Palestinian Authority
PT	Portugal
PW	Palau
PY	Paraguay
QA	Qatar
RE	Réunion
RO	Romania
RU	Russia
RW	Rwanda
SA	Saudi Arabia
SB	Solomon Islands
SC	Seychelles
SD	Sudan
SE	Sweden
SG	Singapore
SH	Saint Helena
SI	Slovenia
SJ	Svalbard and Jan Mayen
SK	Slovakia
SL	Sierra Leone
SM	San Marino
SN	Senegal
SO	Somalia
SR	Suriname
ST	São Tomé and Príncipe
SV	El Salvador
SY	Syria
SZ	Swaziland
TC	Turks and Caicos Islands
TD	Chad
TF	French Southern and Antarctic Lands
TG	Togo
TH	Thailand
TJ	Tajikistan
TK	Tokelau
TL	Timor-Leste
TM	Turkmenistan
TN	Tunisia
TO	Tonga
TR	Turkey
TT	Trinidad and Tobago
TV	Tuvalu
TW	Taiwan
TZ	Tanzania
UA	Ukraine
UG	Uganda
UM	U.S. Minor Outlying Islands
US	United States
UY	Uruguay
UZ	Uzbekistan
VA	Vatican City
VC	Saint Vincent and the Grenadine
VE	Venezuela
VG	Virgin Islands, British
VI	Virgin Islands, U.S.
VN	Vietnam
VU	Vanuatu
WF	Wallis and Futuna
WS	Samoa
YE	Yemen
YT	Mayotte
ZA	South Africa
ZM	Zambia
ZW	Zimbabwe
"""

_STATES = """\
AB	CA	f	Alberta	6
AK	US	f	Alaska	1
AL	US	f	Alabama	5
AR	US	f	Arkansas	3
AS	AS	t	American Samoa	1
AZ	US	f	Arizona	4
BC	CA	f	British Columbia	6
BY	DE	f	Bayern	8
CA	US	f	California	4
CO	US	f	Colorado	3
CT	US	f	Connecticut	2
DC	US	f	District of Columbia	2
DE	US	f	Delaware	2
ENG	GB	t	England	10
FL	US	f	Florida	5
FM	FM	t	Micronesia	9
GA	US	f	Georgia	5
GU	US	f	Guam	4
HE	DE	f	Hessen	8
HH	DE	f	Hamburg	8
HI	US	f	Hawaii	1
IA	US	f	Iowa	3
ID	US	f	Idaho	1
IL	US	f	Illinois	3
IN	US	f	Indiana	2
KS	US	f	Kansas	3
KY	US	f	Kentucky	5
LA	US	f	Louisiana	3
LB	CA	f	Labrador	6
MA	US	f	Massachusetts	2
MB	CA	f	Manitoba	6
MD	US	f	Maryland	2
ME	US	f	Maine	2
MH	MH	t	Marshall Islands	9
MI	US	f	Michigan	3
MN	US	f	Minnesota	3
MO	US	f	Missouri	3
MP	MP	t	Northern Mariana Islands	9
MS	US	f	Mississippi	5
MT	US	f	Montana	1
NB	CA	f	Brunswick	6
NC	US	f	North Carolina	5
ND	US	f	North Dakota	3
NE	US	f	Nebraska	3
NF	CA	f	Newfoundland	6
NH	US	f	New Hampshire	2
NJ	US	f	New Jersey	2
NM	US	f	New Mexico	4
NS	CA	f	Nova Scotia	6
NSW	AU	f	New South Wales	9
NT	CA	f	Northwest Territories	6
NV	US	f	Nevada	1
NW	DE	f	Nordrhein-Westfalen	8
NY	US	f	New York	2
OH	US	f	Ohio	2
OK	US	f	Oklahoma	3
ON	CA	f	Ontario	6
OR	US	f	Oregon	1
PA	US	f	Pennsylvania	2
PE	CA	f	Prince Edward Island	6
PR	US	f	Puerto Rico	5
PW	PW	t	Palau	9
QC	CA	f	Quebec	6
QLD	AU	f	Queensland	9
RI	US	f	Rhode Island	2
SA	AU	f	South Australia	9
SC	US	f	South Carolina	5
SD	US	f	South Dakota	3
SK	CA	f	Saskatchewan	6
SL	DE	f	Saarland	8
TAS	AU	f	Tasmania	9
TN	US	f	Tennessee	5
TX	US	f	Texas	4
UT	US	f	Utah	1
VA	US	f	Virginia	5
VI	VI	t	Virgin Islands	5
VIC	AU	f	Victoria	9
VT	US	f	Vermont	2
WA	US	f	Washington	1
WI	US	f	Wisconsin	3
WV	US	f	West Virginia	5
WY	US	f	Wyoming	1
YT	CA	f	Yukon Territory	6
FR	FR	t	France	7
BB	DE	f	Brandenburg	8
SN	DE	f	Saxony	8
01	FR	f	Ain	7
02	FR	f	Aisne	7
03	FR	f	Allier	7
04	FR	f	Alpes-de-Haute Provence	7
05	FR	f	Alpes (Haute)	7
06	FR	f	Alpes-Maritimes	7
07	FR	f	Ardèche	7
08	FR	f	Ardennes	7
09	FR	f	Ariège	7
10	FR	f	Aube	7
11	FR	f	Aude	7
12	FR	f	Aveyron	7
13	FR	f	Bouches du Rhône	7
14	FR	f	Calvados	7
15	FR	f	Cantal	7
16	FR	f	Charente	7
17	FR	f	Charente-Maritime	7
18	FR	f	Cher	7
19	FR	f	Corrèze	7
20	FR	f	Corse	7
21	FR	f	Côte d'Or	7
22	FR	f	Côtes-d'Armor	7
23	FR	f	Creuse	7
24	FR	f	Dordogne	7
25	FR	f	Toubs	7
26	FR	f	Drôme	7
27	FR	f	Eure	7
28	FR	f	Eure et Loir	7
29	FR	f	Finistère	7
30	FR	f	Gard	7
31	FR	f	Garonne (Haute)	7
32	FR	f	Gers	7
33	FR	f	Gironde	7
34	FR	f	Hérault	7
35	FR	f	Ille et Vilaine	7
36	FR	f	Indre	7
37	FR	f	Indre et Loire	7
38	FR	f	Isère	7
39	FR	f	Jura	7
40	FR	f	Landes	7
41	FR	f	Loir et Cher	7
42	FR	f	Loire	7
43	FR	f	Loire (Haute)	7
44	FR	f	Loire Atlantique	7
45	FR	f	Loiret	7
46	FR	f	Lot	7
47	FR	f	Lot et Garonne	7
48	FR	f	Lozère	7
49	FR	f	Maine et Loire	7
50	FR	f	Manche	7
51	FR	f	Marne	7
52	FR	f	Marne (Haute)	7
53	FR	f	Mayenne	7
54	FR	f	Meurthe et Moselle	7
55	FR	f	Meuse	7
56	FR	f	Morbihan	7
57	FR	f	Moselle	7
58	FR	f	Nièvre	7
59	FR	f	Nord	7
60	FR	f	Oise	7
61	FR	f	Orne	7
62	FR	f	Pas de Calais	7
63	FR	f	Puy de Dôme	7
64	FR	f	Pyrénées Atlantiques	7
65	FR	f	Pyrénées (Hautes)	7
66	FR	f	Pyrénées Orientales	7
67	FR	f	Rhin (Bas)	7
68	FR	f	Rhin (Haut)	7
69	FR	f	Rhône	7
70	FR	f	Saône (Haute)	7
71	FR	f	Saône et Loire	7
72	FR	f	Sarthe	7
73	FR	f	Savoie	7
74	FR	f	Savoie Haute	7
75	FR	f	Seine (Paris)	7
76	FR	f	Seine Maritime	7
77	FR	f	Seine et Marne	7
78	FR	f	Yveline	7
79	FR	f	Sèvres (Deux)	7
80	FR	f	Somme	7
81	FR	f	Tarne	7
82	FR	f	Tarne et Garonne	7
83	FR	f	Var	7
84	FR	f	Vaucluse	7
85	FR	f	La Vendée	7
86	FR	f	Vienne	7
87	FR	f	Vienne (Haute)	7
88	FR	f	Vosges	7
89	FR	f	Yonne	7
90	FR	f	Belford (Territoire de)	7
91	FR	f	Essonne	7
92	FR	f	Hauts de Seine	7
93	FR	f	Seine Saint Denis	7
94	FR	f	Val de Marne	7
95	FR	f	Val d'Oise	7
"""

COUNTRIES: tuple[tuple[str, str], ...] = tuple(
    (code, name) for code, name in (line.split("\t") for line in _COUNTRIES.splitlines())
)
STATES: tuple[State, ...] = tuple(
    State(code, country, flag == "t", name, int(territory))
    for code, country, flag, name, territory in (line.split("\t") for line in _STATES.splitlines())
)
