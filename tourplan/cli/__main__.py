"""``python -m tourplan.cli``: the same as the ``tourplan`` command."""

from tourplan.cli import run

if __name__ == "__main__":
    run()
