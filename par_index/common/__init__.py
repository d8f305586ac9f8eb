"""Shared below every stage: reading user values (numbers, percentages, dates, yes/no), UTF-8 text files, strict YAML."""
