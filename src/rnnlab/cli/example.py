"""``rnnlab example``: the worked example as a commented TOML file, to edit and run."""

from pathlib import Path
from typing import Annotated

import typer

from rnnlab.cli import app
from rnnlab.cli.display import console
from rnnlab.errors import InvalidValueError


@app.command()
def example(
    path: Annotated[
        Path,
        typer.Argument(help="Where to write it; - prints it instead.", dir_okay=False),
    ] = Path("rnnlab-example.toml"),
    force: Annotated[bool, typer.Option("--force", help="Replace a file already there.")] = False,
) -> None:
    """Write the lab's worked example as a commented file for `rnnlab run --example FILE`."""
    from rnnlab import lab
    from rnnlab.files import write_atomic
    from rnnlab.lab.example import example_text

    text = example_text(lab.WORKED)
    if str(path) == "-":
        console.print(text, end="", soft_wrap=True)
        return
    if path.exists() and not force:
        raise InvalidValueError(f"{path} exists; give --force to replace it")
    write_atomic(path, text)
    console.print(f"Wrote {path}; edit it, then run `rnnlab run --example {path}`")
