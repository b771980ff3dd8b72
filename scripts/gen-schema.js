// Generates the published JSON Schemas from the zod schemas in dist/:
//   schema/campaign.schema.json (campaign files) and schema/report.schema.json (report.json).
const { z } = require('zod');
const { writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const { campaignSchema } = require('../dist/config/schema');
const { reportSchema } = require('../dist/report/schema');
const { REPORT_SCHEMA_VERSION } = require('../dist/report/model');

function write(file, schema, id, title) {
  schema.$id = id;
  schema.title = title;
  const out = path.join(__dirname, '..', 'schema', file);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
}

write(
  'campaign.schema.json',
  z.toJSONSchema(campaignSchema, { io: 'input', unrepresentable: 'any' }),
  'https://readiness.dev/schema/campaign.schema.json',
  'readiness campaign (apiVersion readiness/v1)',
);
write(
  'report.schema.json',
  z.toJSONSchema(reportSchema, { io: 'output', unrepresentable: 'any' }),
  `https://readiness.dev/schema/report.v${REPORT_SCHEMA_VERSION}.schema.json`,
  `readiness report.json (schemaVersion ${REPORT_SCHEMA_VERSION})`,
);
