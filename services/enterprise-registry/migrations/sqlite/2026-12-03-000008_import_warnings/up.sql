-- Rows and columns an import read past (title rows, unknown columns), shown with it.
ALTER TABLE imports ADD COLUMN warnings_json TEXT NOT NULL DEFAULT '[]';
