// PostgreSQL reports a broken unique constraint with SQLSTATE 23505 (PGlite too); routes turn it
// into their own 409.
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}
