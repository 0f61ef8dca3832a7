"""``python -m samhandling`` runs the command line."""

from samhandling.cli import main

if __name__ == "__main__":
    main()
