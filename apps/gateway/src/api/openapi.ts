// The OpenAPI 3.1 document, generated from the same zod schemas that validate
// requests (z.toJSONSchema), so the published contract cannot drift from the code.
// Schemas named with `.meta({ id })` become components; each route's own schema is
// inlined with references to them.
import { z } from 'zod';
import { ErrorResponseSchema, type Role } from './schemas.js';

type JsonObject = Record<string, unknown>;

export interface DocumentedRoute {
  method: string;
  url: string;
  summary: string;
  tag: string;
  access: Role | 'public';
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  status: number;
  response?: z.ZodType | undefined;
}

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input; `error.field` names the first invalid field',
  401: 'Not authenticated',
  403: 'Role, CSRF token or Origin does not allow this request',
  404: 'Target not found',
  409: 'Conflicts with the current state',
  429: 'Too many attempts; see Retry-After',
};

export class OpenApiRegistry {
  private readonly routes: DocumentedRoute[] = [];

  add(route: DocumentedRoute): void {
    this.routes.push(route);
  }

  document(info: { title: string; version: string }): JsonObject {
    const components: Record<string, JsonObject> = {};
    const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonObject => {
      const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
      const defs = (json.$defs ?? {}) as Record<string, JsonObject>;
      delete json.$defs;
      delete json.$schema;
      const renames = new Map<string, string>();
      for (const [id, def] of Object.entries(defs)) {
        const existing = components[id];
        let name = id;
        if (existing && JSON.stringify(existing) !== JSON.stringify(def)) name = `${id}${io === 'input' ? 'Input' : 'Output'}`;
        renames.set(id, name);
      }
      const rewrite = (value: JsonObject): JsonObject =>
        JSON.parse(
          JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_match, id: string) => `"#/components/schemas/${renames.get(id) ?? id}"`),
        ) as JsonObject;
      for (const [id, def] of Object.entries(defs)) components[renames.get(id) ?? id] = rewrite(def);
      return rewrite(json);
    };

    const paths: Record<string, Record<string, JsonObject>> = {};
    const errorSchema = convert(ErrorResponseSchema, 'output');
    for (const route of this.routes) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: JsonObject[] = [];
      for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
        if (!schema) continue;
        const json = convert(schema, 'input');
        const properties = (json.properties ?? {}) as Record<string, JsonObject>;
        const required = new Set((json.required ?? []) as string[]);
        for (const [name, property] of Object.entries(properties)) {
          parameters.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
        }
      }
      const responses: Record<string, JsonObject> = {
        [String(route.status)]: route.response
          ? { description: 'Success', content: { 'application/json': { schema: convert(route.response, 'output') } } }
          : { description: 'Success, no content' },
      };
      const errorCodes = [400, ...(route.access === 'public' ? [] : [401, 403]), ...(route.params ? [404] : [])];
      if (route.method !== 'GET') errorCodes.push(409);
      if (route.access === 'public') errorCodes.push(401, 429);
      for (const code of [...new Set(errorCodes)].sort()) {
        responses[String(code)] = { description: errorDescriptions[code] ?? 'Error', content: { 'application/json': { schema: errorSchema } } };
      }
      const operation: JsonObject = {
        summary: route.summary,
        tags: [route.tag],
        ...(route.access === 'public' ? { security: [] } : { 'x-lovage-role': route.access }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: convert(route.body, 'input') } } } } : {}),
        responses,
      };
      (paths[path] ??= {})[route.method.toLowerCase()] = operation;
    }

    return {
      openapi: '3.1.0',
      info,
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      servers: [{ url: '/' }],
      security: [{ session: [] }, { bearer: [] }],
      paths,
      components: {
        schemas: components,
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'lovage_session', description: 'State-changing requests also need the x-csrf-token header equal to the lovage_csrf cookie' },
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token: lvg_...' },
        },
      },
    };
  }
}
