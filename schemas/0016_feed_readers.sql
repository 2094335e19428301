-- Where each feed reader (department, coordinator or office subscriber) stands: the position it
-- asked from in its latest feed.fetch (everything up to it processed), and when. Lag = the event
-- log's head minus read_through; shown by concord status and exported as a metric.
CREATE TABLE feed_readers (
    tenant       text PRIMARY KEY REFERENCES tenants (id),
    read_through bigint NOT NULL CHECK (read_through >= 0),
    fetched_at   timestamptz NOT NULL DEFAULT now()
);
