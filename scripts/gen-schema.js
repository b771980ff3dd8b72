// Generates schema/campaign.schema.json (JSON Schema) from the zod campaign schema in dist/.
const { z } = require('zod');
const { writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const { campaignSchema } = require('../dist/config/schema');

const schema = z.toJSONSchema(campaignSchema, { io: 'input', unrepresentable: 'any' });
schema.$id = 'https://readiness.dev/schema/campaign.schema.json';
schema.title = 'readiness campaign (apiVersion readiness/v1)';
const out = path.join(__dirname, '..', 'schema', 'campaign.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
