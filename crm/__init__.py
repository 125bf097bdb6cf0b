"""The CRM's REST API (../shared/seeds/crm-system-master-context.md): a typed, rate-limited
client and what the workbench reads through it. Never required for the event-based metrics."""
