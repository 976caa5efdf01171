"""`make bench`: measurements of the project, kept out of the package and its image."""
