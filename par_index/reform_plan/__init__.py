"""The province's reform plan (KH 213) as data and its progress per lead agency."""
