"""Operations: health, job heartbeats, configuration listing."""
