"""The evidence register: who owes which document for which criterion and unit, what is missing or late."""
