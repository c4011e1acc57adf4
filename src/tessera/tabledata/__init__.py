"""Table data: sample rows, profiles as time series, profiler configuration, joins and usage."""
