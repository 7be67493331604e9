"""Anomalies in metric-like and event collections: spikes and drops against a robust,
seasonal baseline (`detect`), the hourly series they are found in (`series`), and an SVG
plot of them (`plot`)."""
