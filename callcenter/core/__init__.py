"""The core every feature is wired from: settings, database, AMI link, clock, the
read-only live picture, the buses and the scheduler (see `core.Core`)."""
