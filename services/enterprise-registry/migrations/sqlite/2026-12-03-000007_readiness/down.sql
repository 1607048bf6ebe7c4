DROP TABLE readiness;
DROP TABLE readiness_builds;
