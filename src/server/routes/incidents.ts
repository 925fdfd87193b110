/**
 * `/api/v1/incidents`: list with filters and cursor pagination, open one by hand, get one, change
 * fields and status (the workflow), link alerts, merge, split, and response-time metrics. Comments,
 * observables, tasks and the timeline are in `incidents-items.ts`. Reads need `incidents:read`,
 * changes `incidents:write`; every change is audited by the service.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorFor } from '../../auth/principal.js';
import { IncidentDetailSchema, IncidentSchema } from '../../incidents/types.js';
import type { ServiceContext } from '../../service/vigil.js';
import { listAlerts } from '../../store/alerts.js';
import { Alert, errors } from '../schemas.js';
import {
  CreateBody,
  IncidentParams,
  LinkBody,
  ListQuery,
  MergeBody,
  MetricsQuery,
  MetricsResponse,
  PageQuery,
  PatchBody,
  SplitBody,
} from './incidents-schemas.js';

const TAGS = ['incidents'];

export const incidentRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const incidents = ctx.incidents;

  app.get(
    '/api/v1/incidents',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: 'List incidents',
        description:
          'Filters combine with AND; `status` and `severity` repeat for several values. `from`/`to` bound ' +
          '`created_at`. Newest first by default; `next` is the cursor of the following page.',
        querystring: ListQuery,
        response: {
          200: Type.Object({ incidents: Type.Array(IncidentSchema), next: Type.Optional(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const sep = q.entity?.indexOf(':') ?? -1;
      return incidents.list({
        statuses: q.status,
        severities: q.severity,
        kind: q.kind,
        assignee: q.assignee,
        tag: q.tag,
        entity: q.entity ? { type: q.entity.slice(0, sep), value: q.entity.slice(sep + 1) } : undefined,
        from: q.from,
        to: q.to,
        sort: q.sort ?? 'created_at',
        order: q.order ?? 'desc',
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    '/api/v1/incidents/metrics',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: 'Incident counts and mean response times (MTTD, MTTA, MTTC, MTTR)',
        description: 'Over incidents created in [from, to), duplicates left out; MTTR over resolved ones.',
        querystring: MetricsQuery,
        response: { 200: MetricsResponse, ...errors(400, 401, 403) },
      },
    },
    async (request) => incidents.metrics(request.query.from, request.query.to),
  );

  app.post(
    '/api/v1/incidents',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Open an incident by hand, optionally linking alerts',
        body: CreateBody,
        response: { 201: IncidentSchema, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const incident = await incidents.create(
        {
          title: b.title,
          description: b.description,
          severity: b.severity,
          assignee: b.assignee,
          tags: b.tags,
          alertIds: b.alert_ids,
        },
        actorFor(request.principal, request.ip),
      );
      return reply.code(201).send(incident);
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: 'Get an incident with its observables and tasks',
        params: IncidentParams,
        response: { 200: IncidentDetailSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => incidents.get(request.params.id),
  );

  app.patch(
    '/api/v1/incidents/:id',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Change an incident: title, description, severity, assignee, tags, status',
        description:
          'Status follows open → investigating → contained → resolved (steps may be skipped; contained may ' +
          'go back to investigating; resolved and false_positive reopen to investigating). Closing as ' +
          'resolved or false_positive sets the open alerts to that status. 409 VIGIL_ERR_INCIDENT_TRANSITION ' +
          'for a move the workflow does not allow.',
        params: IncidentParams,
        body: PatchBody,
        response: { 200: IncidentSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      incidents.update(request.params.id, request.body, actorFor(request.principal, request.ip)),
  );

  app.get(
    '/api/v1/incidents/:id/alerts',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: "List an incident's alerts (newest first)",
        params: IncidentParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ alerts: Type.Array(Alert), next: Type.Optional(Type.String()) }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      await incidents.get(request.params.id);
      return listAlerts(ctx.database.db, {
        incidentId: request.params.id,
        sort: 'created_at',
        order: 'desc',
        limit: request.query.limit ?? 100,
        cursor: request.query.cursor,
      });
    },
  );

  app.post(
    '/api/v1/incidents/:id/alerts',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Link alerts to an incident (alerts in another incident move here)',
        params: IncidentParams,
        body: LinkBody,
        response: { 200: IncidentSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      incidents.addAlerts(request.params.id, request.body.alert_ids, actorFor(request.principal, request.ip)),
  );

  app.post(
    '/api/v1/incidents/:id/merge',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Merge incidents into this one',
        description:
          'Moves their alerts, comments, tasks and observables here, unions the tags, keeps the worst ' +
          'severity; each merged incident becomes `duplicate` with `duplicate_of` set to this one.',
        params: IncidentParams,
        body: MergeBody,
        response: { 200: IncidentSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      incidents.merge(
        request.params.id,
        request.body.incident_ids,
        actorFor(request.principal, request.ip),
        request.body.comment,
      ),
  );

  app.post(
    '/api/v1/incidents/:id/split',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Move chosen alerts of this incident into a new incident',
        params: IncidentParams,
        body: SplitBody,
        response: { 201: IncidentSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const incident = await incidents.split(
        request.params.id,
        b.alert_ids,
        actorFor(request.principal, request.ip),
        {
          title: b.title,
          comment: b.comment,
        },
      );
      return reply.code(201).send(incident);
    },
  );
};
