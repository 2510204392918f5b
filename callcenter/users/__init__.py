"""Web users: supervisors and agents, each agent tied to a queue member."""
