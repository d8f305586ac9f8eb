"""Reports: the province ranking, unit and agency reports in Vietnamese HTML and Excel (they only read results)."""
