"""``python -m fitcheck``: the same command line as the ``fitcheck`` script."""

from fitcheck.cli import main

if __name__ == "__main__":
    main()
