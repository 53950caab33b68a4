"""Where the project's files are: the one definition of each path."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
CONF_DIR = PROJECT_DIR / "conf"
DOCS_DIR = PROJECT_DIR / "docs"
