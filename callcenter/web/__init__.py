"""The web application: wallboard, agent desk, tickets, served by the daemon."""
