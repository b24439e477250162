"""Local, faithful simulators of Shopify and NetSuite, the world generator and fault profiles."""
