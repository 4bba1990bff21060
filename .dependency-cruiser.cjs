// Module-level house rules (see docs). Folder cycles are checked by scripts/check-deps.mjs, which
// runs these rules too: `npm run lint` is the one entry point.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-imports-no-area',
      comment: 'src/lib is the platform layer: it may import only src/lib, src/db and packages, never an area.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/(lib|db)/' },
    },
    {
      name: 'slots-does-no-io',
      comment:
        'src/scheduling/slots.ts is pure slot arithmetic: no database, no Workers runtime, no routes or services.',
      severity: 'error',
      from: { path: '^src/scheduling/slots\\.ts$' },
      to: {
        path: [
          '(^|/)drizzle-orm(/|$)',
          '^cloudflare:',
          '^src/db/',
          '^src/lib/db\\.ts$',
          '^src/bookings/schedule-object\\.ts$',
          '^src/[^/]+/(routes|service)(\\.tsx?$|/)',
        ],
      },
    },
    {
      name: 'jobs-import-no-http-app',
      comment: 'Cron and queue consumers call services directly; they never load the HTTP app or a router.',
      severity: 'error',
      from: { path: '^src/jobs/' },
      to: { path: ['^src/(app|areas|http|index)\\.tsx?$', '^src/[^/]+/routes(\\.tsx?$|/)'] },
    },
  ],
  options: {
    // Type-only imports count: a type import is still a dependency between areas.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
