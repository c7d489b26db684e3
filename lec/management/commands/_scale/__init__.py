"""seed_scale's parts: the plan of organisations (plan, names), writing organisations and users (organisations)
and learners with their counters (learners). The round's state is confirmations.seeding."""
