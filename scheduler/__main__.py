"""`python -m scheduler`: the same as `etjanst scheduler`."""

from cli import main

if __name__ == "__main__":
    main(["scheduler"])
