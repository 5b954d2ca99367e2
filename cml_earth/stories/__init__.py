"""Stories members tell over time, and the words of support others leave on them."""
