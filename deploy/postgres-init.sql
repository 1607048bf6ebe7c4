-- One database per service: a service never reads another's tables.
CREATE DATABASE registry OWNER hte;
CREATE DATABASE allocation OWNER hte;
CREATE DATABASE monitoring OWNER hte;
