"""The book's machinery: claims, the catalogue and its profiles, the notebook runner, the scorecard, offline assets, publishing and benchmark records. It imports no chapter code."""
