-- Synthetic data for checking search query plans on PostgreSQL (a migrated, empty
-- database). `{{LISTINGS}}` is replaced by the number of listings to create; used by
-- scripts/explain-search.sh (100 000) and tests/tests/search_plan.rs (20 000).
--
-- Shape of the data, roughly what production will look like at that size:
--   * 20 cities (leeds among them), 400 users: 360 landlords/agents (every 40th user is
--     suspended), 40 students;
--   * listings spread over the cities; ~88% published, the rest draft/let/archived;
--   * rents 80–230 GBP pppw, 1–8 bedrooms, feature masks from the 16 features,
--     publication times one every few minutes going back in time;
--   * every 25th listing is an HMO with a licence, a few of them lapsed;
--   * ~2% of titles mention a garden (what the free-text shape searches for).

INSERT INTO cities (slug, name, active, created_at)
SELECT slug, initcap(replace(slug, '-', ' ')), true, now()
FROM unnest(ARRAY[
    'leeds', 'york', 'sheffield', 'manchester', 'liverpool', 'newcastle', 'nottingham', 'birmingham',
    'bristol', 'bath', 'cardiff', 'swansea', 'edinburgh', 'glasgow', 'durham', 'exeter',
    'southampton', 'brighton', 'oxford', 'cambridge'
]) AS slug
ON CONFLICT (slug) DO NOTHING;

INSERT INTO users (id, email, password_hash, display_name, role, email_verified, suspended, created_at, updated_at)
SELECT md5('user' || i)::uuid,
       'user' || i || '@example.com',
       '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$synthetic',
       'User ' || i,
       CASE WHEN i % 10 = 0 THEN 'student' WHEN i % 3 = 0 THEN 'agent' ELSE 'landlord' END,
       true,
       i % 40 = 1,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour',
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 400) AS i;

INSERT INTO listings (
    id, owner_id, status, title, description, city, area, address_line, postcode, postcode_outward,
    property_type, bedrooms, bathrooms, ensuite_rooms, rent_pppw_pence, bills_included, deposit_pence,
    available_from, academic_year, tenancy_months, tenancy_type, furnished, features_mask,
    hmo_licence, hmo_licence_expires, epc_rating, searchable_until, moderation_note,
    created_at, updated_at, published_at
)
SELECT md5('listing' || i)::uuid,
       -- owners: users that are not students (i % 10 <> 0)
       md5('user' || (o.k - CASE WHEN o.k % 10 = 0 THEN 1 ELSE 0 END))::uuid,
       s.status,
       CASE WHEN i % 50 = 0 THEN 'Bright house with a garden ' ELSE 'Student home ' END || i,
       'Well kept and close to shops, buses and the university. Viewing is recommended. Ref ' || i || '.',
       (ARRAY['leeds', 'york', 'sheffield', 'manchester', 'liverpool', 'newcastle', 'nottingham', 'birmingham',
              'bristol', 'bath', 'cardiff', 'swansea', 'edinburgh', 'glasgow', 'durham', 'exeter',
              'southampton', 'brighton', 'oxford', 'cambridge'])[1 + i % 20],
       NULL,
       i || ' Example Street',
       'LS6 1AB',
       'LS6',
       (ARRAY['house', 'flat', 'studio', 'room', 'hall'])[1 + i % 5],
       b.bedrooms,
       1 + i % 3,
       LEAST(i % 3, b.bedrooms),
       8000 + (i * 37) % 15001,
       i % 2 = 0,
       40000,
       date '2027-06-01' + (i % 120),
       2026 + i % 2,
       12,
       'periodic',
       i % 3 <> 0,
       (i::bigint * 40503) % 65536,
       CASE WHEN i % 25 = 0 THEN 'HMO/' || i END,
       CASE WHEN i % 25 = 0 THEN date '2026-11-25' + (i % 400 - 40) END,
       'C',
       CASE WHEN i % 25 = 0 AND b.bedrooms >= 5 THEN date '2026-11-25' + (i % 400 - 40) END,
       NULL,
       p.published_at - interval '2 days',
       p.published_at,
       CASE WHEN s.status = 'draft' THEN NULL ELSE p.published_at END
FROM generate_series(1, {{LISTINGS}}) AS i
CROSS JOIN LATERAL (SELECT 1 + (i * 7) % 400 AS k) AS o
CROSS JOIN LATERAL (SELECT 1 + (i * 13) % 8 AS bedrooms) AS b
CROSS JOIN LATERAL (
    SELECT CASE WHEN i % 25 = 3 THEN 'draft' WHEN i % 25 = 7 THEN 'let' WHEN i % 50 = 11 THEN 'archived'
                ELSE 'published' END AS status
) AS s
CROSS JOIN LATERAL (
    SELECT timestamptz '2026-11-24 12:00:00+00' - i * interval '3 minutes 7 seconds' AS published_at
) AS p;
