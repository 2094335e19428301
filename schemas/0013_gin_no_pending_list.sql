-- The registry's GIN indexes without a pending list (issue 8). With fastupdate on (PostgreSQL's
-- default) new entries go to an unsorted pending list of up to gin_pending_list_limit (4 MB), and
-- every search scans that list linearly until vacuum merges it: after a bulk load, or at a steady
-- few hundred claims a second, a fuzzy candidate query took 25–45 ms at 200,000 claims instead of
-- 0.5 ms, and each claim paid it. With fastupdate off each insert updates the index in place (a
-- few trigram entries per name), and a search costs the same whenever it runs.
ALTER INDEX claims_normalized_name_trgm SET (fastupdate = off);
ALTER INDEX claims_brand_trgm SET (fastupdate = off);
ALTER INDEX claims_brand_bigrams SET (fastupdate = off);
-- Whatever is already pending is merged now (turning fastupdate off does not).
SELECT gin_clean_pending_list('claims_normalized_name_trgm'::regclass),
       gin_clean_pending_list('claims_brand_trgm'::regclass),
       gin_clean_pending_list('claims_brand_bigrams'::regclass);
