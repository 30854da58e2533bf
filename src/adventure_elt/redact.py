"""`redact()`: the one function that masks secrets in anything about to be shown or stored.

Every boundary calls it: the CLI's stdout and stderr, `--json`, the run log (`ops.runs`) and the
message of every `AdventureEltError` (so exception text wrapped from psycopg2, dlt or Google is
masked once, where it is wrapped). It masks, in any text:

- the password of a URL, written as people paste it: `scheme://user:PASSWORD@host…`, where the
  password is everything between the first `:` after the user and the **last** `@` of the line,
  so unencoded `#`, `/`, `@`, `?`, `%` or `:` in it are masked whole (URL-encoded ones too);
- `key=value` and `key: value` pairs whose key names a secret (`password`, `sslpassword`,
  `client_secret`, `private_key`, `token`, `api_key`, …): keyword DSNs (`password='it''s'`),
  query strings (`?password=…&`), TOML, JSON and Python reprs of credential mappings;
- PEM private-key blocks;
- and, wherever they appear, the exact secret values the settings were loaded with
  (`remember_secret`), in plain and URL-encoded form.

Mappings (dlt-style credential tables, service-account JSON) are shown with the values of their
secret keys masked, nested ones included. Limits: a password holding a line break, or a URL
password over 1,024 characters, is masked only through `remember_secret`; an `@` inside a URL's
query string makes the mask reach it (more is hidden, never less).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, unquote

MASK = "***"
MIN_REMEMBERED = 4  # shorter values would mask ordinary words; the patterns still cover them

_SECRET_KEY = r"[A-Za-z_]{0,40}(?:password|passwd|pwd|secret|private_key|token|api_key|apikey)"
_SECRET_KEYS = re.compile(rf"^{_SECRET_KEY}$", re.IGNORECASE)

# scheme://user:PASSWORD@ — the user stops at the first ':', the password at the line's last '@'.
# Bounded repeats keep the scan linear on hostile text (a long "a.a.a…" line).
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s:/]{0,256}:)(?P<pw>[^\n]{0,1024})@"
)
# key = value, key: value, 'key': 'value', "key": "value", ?key=value&
_KEY_VALUE = re.compile(
    rf"""(?P<head>\b{_SECRET_KEY}\b['"]?\s*[=:]\s*)
         (?P<value>'(?:[^'\\\n]|\\.|'')*'?|"(?:[^"\\\n]|\\.)*"?|[^\s&]+)""",
    re.IGNORECASE | re.VERBOSE,
)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)

_remembered: set[str] = set()
_lock = threading.Lock()


def redact(value: object) -> str:
    """`value` as text that is safe to print, log or store: every secret in it masked.

    Args:
        value: text (a DSN, a message, a traceback), an exception, or a mapping of settings or
            credentials (any nesting); anything else is shown as `str(value)`.

    Returns:
        The text with passwords, keys and tokens replaced by `***`.

    >>> redact("postgresql://etl:s3cret@db:5432/aw")
    'postgresql://etl:***@db:5432/aw'
    >>> redact("postgresql://u:Hash#Pw9@h/db failed")
    'postgresql://u:***@h/db failed'
    >>> redact("host=db user=etl password='it\\\\'s' dbname=aw")
    "host=db user=etl password='***' dbname=aw"
    >>> redact({"host": "db", "password": "s3cret", "port": 5432})
    "{'host': 'db', 'password': '***', 'port': 5432}"
    """
    text = repr(_masked_mapping(value)) if isinstance(value, Mapping) else str(value)
    return _redact_text(text)


def remember_secret(secret: object) -> None:
    """Mask this exact value (and its URL-encoded forms) wherever it appears from now on.

    Settings call it with the passwords and keys they load, so a driver that echoes a secret in
    a form no pattern foresees is still masked; a multi-line value (a PEM key) line by line too.
    Values shorter than 4 characters are ignored.
    """
    if not isinstance(secret, str):
        return
    forms = {secret, unquote(secret), quote(secret, safe=""), quote(unquote(secret), safe="")}
    forms.update(secret.splitlines())  # a key's lines, should one be quoted alone
    with _lock:
        _remembered.update(f for f in forms if len(f) >= MIN_REMEMBERED and f != MASK)


def is_secret_key(key: object) -> bool:
    """True when a mapping key names a secret (`password`, `private_key`, `client_secret` …).

    >>> is_secret_key("sslpassword"), is_secret_key("private_key_id"), is_secret_key("host")
    (True, False, False)
    """
    return isinstance(key, str) and bool(_SECRET_KEYS.match(key))


def _masked_mapping(mapping: Mapping[object, object]) -> dict[object, object]:
    masked: dict[object, object] = {}
    for key, item in mapping.items():
        if is_secret_key(key) and item not in (None, ""):
            masked[key] = MASK
        elif isinstance(item, Mapping):
            masked[key] = _masked_mapping(item)
        else:
            masked[key] = item
    return masked


def _redact_text(text: str) -> str:
    if not text:
        return text
    # a whole key block first: a remembered key's header line, masked alone, would hide the block
    text = _PEM.sub(MASK, text)
    with _lock:
        remembered = sorted(_remembered, key=len, reverse=True)
    for secret in remembered:  # longest first: a secret may contain a shorter one
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + (MASK if m["pw"] else "") + "@", text)
    return _KEY_VALUE.sub(_mask_value, text)


def _mask_value(match: re.Match[str]) -> str:
    quote_char = match["value"][0]
    if quote_char in "'\"":
        return f"{match['head']}{quote_char}{MASK}{quote_char}"
    return match["head"] + MASK
