"""Facts about the real AdventureWorks data the e2e tests load."""

from __future__ import annotations

# Row counts from data/adventureworks/README.md (the real data shipped with the project).
README_ROWS = {
    "person.countryregion": 238,
    "person.stateprovince": 181,
    "person.address": 19_614,
    "person.person": 19_972,
    "sales.store": 701,
    "sales.customer": 19_820,
    "sales.creditcard": 19_118,
    "production.productcategory": 4,
    "production.productsubcategory": 37,
    "production.product": 504,
    "sales.salesorderheader": 31_465,
    "sales.salesorderdetail": 121_317,
}
