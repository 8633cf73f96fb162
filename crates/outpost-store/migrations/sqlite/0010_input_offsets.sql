-- Issue 23: `[[inputs]]` of kind kafka. The Kafka client (rskafka) has no consumer-group
-- protocol, so the server keeps each group's committed offsets itself: the next offset to
-- read per (group, topic, partition), written only after the records before it were scored,
-- stored and queued for the outputs (at least once).
CREATE TABLE input_offsets (
    consumer_group TEXT NOT NULL,
    topic          TEXT NOT NULL,
    partition_id   INTEGER NOT NULL,
    next_offset    BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition_id)
);
