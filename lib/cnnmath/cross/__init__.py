"""The cross-paper chapter: experiments that join the four papers; it may import from every chapter."""
