"""Reference data: food categories, foods, test items and their rules, reagent lots, instruments."""
