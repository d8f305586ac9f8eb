"""Planning: what-if scenarios and recipes, headroom, the cheapest plan to a target, robustness of ranks."""
