"""How to serve the dashboard: the `streamlit run` command line and the settings it receives.

Streamlit runs the app in its own process, so the settings travel as the environment variables
`Settings.load()` reads there (ADVENTURE_ELT_WAREHOUSE, ADVENTURE_ELT_DUCKDB_PATH, ...). This
module only builds the command; the CLI (or a test) starts it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping

from adventure_elt.dashboard import APP_PATH
from adventure_elt.errors import ConfigError
from adventure_elt.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def require_streamlit() -> None:
    """Raise ConfigError when Streamlit (the `dashboard` extra) is not installed."""
    if importlib.util.find_spec("streamlit") is None:
        raise ConfigError(
            "the dashboard needs Streamlit; install it with pip install 'adventure-elt[dashboard]'"
        )


def check_port(host: str, port: int) -> None:
    """Raise ConfigError when `host:port` cannot be listened on (another server holds it).

    Streamlit itself would print a traceback-like block and keep running without serving;
    asking first gives one line and exit 2. A port freed between this check and Streamlit's own
    bind is not an error; one taken in between is Streamlit's to report.
    """
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is in use (another dashboard?); stop it or choose "
                    f"another with --port {port + 1 if port < 65535 else 8502}"
                ) from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def dashboard_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the Streamlit process: `base` (default: ours) plus the settings.

    Paths are made absolute, so the app finds the warehouse whatever its working directory.

    >>> from pathlib import Path
    >>> env = dashboard_env(Settings(duckdb_path=Path("/w/a.duckdb")), base={})
    >>> env["ADVENTURE_ELT_WAREHOUSE"], env["ADVENTURE_ELT_DUCKDB_PATH"]
    ('duckdb', '/w/a.duckdb')
    """
    env = dict(os.environ if base is None else base)
    env["ADVENTURE_ELT_WAREHOUSE"] = settings.warehouse
    env["ADVENTURE_ELT_DUCKDB_PATH"] = str(settings.duckdb_path.expanduser().resolve())
    env["ADVENTURE_ELT_HOME"] = str(settings.home.expanduser().resolve())
    # Streamlit asks for an e-mail on first run and reports usage unless told not to.
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    return env


def streamlit_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The `streamlit run` command line serving the app on `host:port`, without a browser.

    >>> streamlit_command("127.0.0.1", 8600)[1:4]
    ['-m', 'streamlit', 'run']
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def dashboard_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The address to open in a browser.

    >>> dashboard_url("127.0.0.1", 8501)
    'http://127.0.0.1:8501'
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
