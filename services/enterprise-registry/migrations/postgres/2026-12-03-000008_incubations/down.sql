DROP TABLE incubations;
