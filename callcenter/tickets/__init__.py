"""Tickets (工单): what agents record, the workflow's deadlines and their alerts."""
