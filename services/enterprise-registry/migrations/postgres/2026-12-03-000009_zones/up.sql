-- High-tech zones (高新区): reference data of the registry. A zone is not a division; it
-- lies in one prefecture-level city and covers one or more county-level divisions
-- (county_codes, comma-separated, the first its host).
CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    short_name TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    city_code TEXT NOT NULL,
    county_codes TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX zones_city ON zones (city_code, id);

-- The 18 national high-tech zones in Jiangsu. Host counties follow the reference notes
-- (unverified there); the province corrects them through PATCH /zones/{id}.
INSERT INTO zones (id, name, short_name, level, city_code, county_codes, version, created_at, updated_at) VALUES
('nanjing-hz', '南京高新技术产业开发区', '南京高新区', 'national', '320100', '320111', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('wuxi-hz', '无锡高新技术产业开发区', '无锡高新区', 'national', '320200', '320214', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('changzhou-hz', '常州高新技术产业开发区', '常州高新区', 'national', '320400', '320411', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('suzhou-hz', '苏州高新技术产业开发区', '苏州高新区', 'national', '320500', '320505', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('taizhou-pharma-hz', '泰州医药高新技术产业开发区', '泰州医药高新区', 'national', '321200', '321203', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('kunshan-hz', '昆山高新技术产业开发区', '昆山高新区', 'national', '320500', '320583', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('jiangyin-hz', '江阴高新技术产业开发区', '江阴高新区', 'national', '320200', '320281', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('xuzhou-hz', '徐州高新技术产业开发区', '徐州高新区', 'national', '320300', '320312', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('wujin-hz', '武进高新技术产业开发区', '武进高新区', 'national', '320400', '320412', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('suzhou-sip', '苏州工业园区', '苏州工业园区', 'national', '320500', '320576', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('nantong-hz', '南通高新技术产业开发区', '南通高新区', 'national', '320600', '320612', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('zhenjiang-hz', '镇江高新技术产业开发区', '镇江高新区', 'national', '321100', '321112', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('lianyungang-hz', '连云港高新技术产业开发区', '连云港高新区', 'national', '320700', '320706', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('yancheng-hz', '盐城高新技术产业开发区', '盐城高新区', 'national', '320900', '320903', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('yangzhou-hz', '扬州高新技术产业开发区', '扬州高新区', 'national', '321000', '321003', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('changshu-hz', '常熟高新技术产业开发区', '常熟高新区', 'national', '320500', '320581', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('huaian-hz', '淮安高新技术产业开发区', '淮安高新区', 'national', '320800', '320804', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('suqian-hz', '宿迁高新技术产业开发区', '宿迁高新区', 'national', '321300', '321302', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- Enterprises' zones were free text. A text equal to a zone's name or short name in the
-- enterprise's own city becomes that zone's id; any other text is kept here, for
-- GET /zones/unmatched, and taken off the enterprise (its zone must be set again).
CREATE TABLE unmatched_zone_values (
    credit_code TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    zone_level TEXT NOT NULL,
    zone_text TEXT NOT NULL
);

UPDATE enterprises SET
    zone_id = (SELECT z.id FROM zones z
               WHERE (z.name = enterprises.zone_id OR z.short_name = enterprises.zone_id)
                 AND z.city_code = enterprises.city_code),
    zone_level = (SELECT z.level FROM zones z
               WHERE (z.name = enterprises.zone_id OR z.short_name = enterprises.zone_id)
                 AND z.city_code = enterprises.city_code)
WHERE EXISTS (SELECT 1 FROM zones z
              WHERE (z.name = enterprises.zone_id OR z.short_name = enterprises.zone_id)
                AND z.city_code = enterprises.city_code);

INSERT INTO unmatched_zone_values (credit_code, region_code, zone_level, zone_text)
SELECT credit_code, region_code, zone_level, zone_id FROM enterprises
WHERE zone_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM zones z WHERE z.id = enterprises.zone_id);

UPDATE enterprises SET zone_id = NULL, zone_level = 'none'
WHERE zone_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM zones z WHERE z.id = enterprises.zone_id);
