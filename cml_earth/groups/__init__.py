"""Patient groups: national, local and topic groups, finding them, founding them, joining them."""
