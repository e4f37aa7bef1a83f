"""``python -m serviceflow``: the ``serviceflow`` command, where its script is not on the PATH.

Only ``-m`` runs this module; ``import serviceflow`` never loads it, and the command line (the
``cli`` extra) is imported only here, when it runs.
"""

from __future__ import annotations


def _run() -> None:
    """Run the ``serviceflow`` command with this process's arguments."""
    from serviceflow.cli import main  # noqa: PLC0415 - the CLI loads only when it runs

    main()


if __name__ == "__main__":
    _run()
