import type { TimelineResolution } from '../../src/core/downsample';
import { parseCampaignYaml } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

/** A minimal valid campaign file; append sections to it. */
export const MINIMAL_YAML = `apiVersion: readiness/v1
name: t
target: { baseUrl: http://127.0.0.1:8080 }
scenario: { requests: [{ name: home, method: GET, path: / }] }
`;

/** Every validation problem of a campaign file as `path: message`; empty when it is valid. */
export function yamlProblems(text: string): string[] {
  try {
    parseCampaignYaml(text);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
}

/** Small timeline boundaries, as tests use: per second for 10 s, 2 s windows until 30 s, 5 s windows after; 2 s of detail around errors, at most 6 s. */
export const SMALL_RESOLUTION: TimelineResolution = {
  fullS: 10,
  tiers: [
    { fromS: 10, widthS: 2 },
    { fromS: 30, widthS: 5 },
  ],
  eventMarginS: 2,
  maxEventSeconds: 6,
};
