"""Daily, weekly and monthly snapshots of the headline metrics, per project, in ClickHouse."""
