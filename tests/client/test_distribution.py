"""dyad-client is its own distribution: httpx is its one dependency, pandas (and matplotlib, for
.plot()) extras."""

import subprocess
import sys
import tomllib
from pathlib import Path

import dyad_client

CLIENT = Path(__file__).resolve().parents[2] / "client"


def test_the_client_depends_on_httpx_alone_with_pandas_as_an_extra():
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["version"]) == ("dyad-client", dyad_client.__version__)
    assert [dependency.split(">")[0] for dependency in project["dependencies"]] == ["httpx"]
    assert project["optional-dependencies"] == {
        "pandas": ["pandas>=2.2"],
        "plot": ["pandas>=2.2", "matplotlib>=3.8"],
    }
    assert project["scripts"] == {"dyad-client": "dyad_client.cli:main"}


def test_importing_the_client_loads_nothing_of_the_server():
    server_side = ["app", "fastapi", "starlette", "pydantic", "sqlmodel", "sqlalchemy", "pandas"]
    code = (
        "import sys, dyad_client, dyad_client.cli; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & set(sys.argv[1:])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *server_side],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")
