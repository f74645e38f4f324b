"""Orders: checkout through the ECS's hosted payment link, payment lifecycle, lookup, history."""
