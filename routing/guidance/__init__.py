"""Turn-by-turn guidance: maneuvers as data, then wording."""
