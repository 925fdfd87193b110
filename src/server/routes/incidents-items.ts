/**
 * `/api/v1/incidents/{id}/…`: comments (Markdown, stored and returned as text), observables, tasks
 * and the append-only timeline. Reads need `incidents:read`, changes `incidents:write`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorFor } from '../../auth/principal.js';
import { CommentSchema, ObservableSchema, TaskSchema, TimelineEntrySchema } from '../../incidents/types.js';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';
import {
  CommentBody,
  IncidentParams,
  ObservableBody,
  ObservableParams,
  PageQuery,
  TaskBody,
  TaskParams,
  TaskPatchBody,
} from './incidents-schemas.js';

const TAGS = ['incidents'];
const Next = Type.Optional(Type.String({ description: 'Cursor of the next page' }));

export const incidentItemRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (
  app,
  { ctx },
) => {
  const incidents = ctx.incidents;

  app.get(
    '/api/v1/incidents/:id/timeline',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: "An incident's timeline, oldest first (append-only)",
        description:
          'Kinds: created, alert_added, alert_removed, status_changed, alerts_status_changed, severity_changed, ' +
          'updated, comment_added, task_added, task_updated, observable_added, observable_removed, merged_from, ' +
          'merged_into, split_to, split_from, risk_threshold.',
        params: IncidentParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ timeline: Type.Array(TimelineEntrySchema), next: Next }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      incidents.timeline(request.params.id, request.query.limit ?? 100, request.query.cursor),
  );

  app.get(
    '/api/v1/incidents/:id/comments',
    {
      config: { auth: 'incidents:read' },
      schema: {
        tags: TAGS,
        summary: "An incident's comments, oldest first",
        params: IncidentParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ comments: Type.Array(CommentSchema), next: Next }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      incidents.comments(request.params.id, request.query.limit ?? 100, request.query.cursor),
  );

  app.post(
    '/api/v1/incidents/:id/comments',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Comment on an incident (Markdown, stored as text)',
        params: IncidentParams,
        body: CommentBody,
        response: { 201: CommentSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await incidents.addComment(
            request.params.id,
            request.body.body,
            actorFor(request.principal, request.ip),
          ),
        ),
  );

  app.post(
    '/api/v1/incidents/:id/observables',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Add an observable (ip, host, user, hash, domain, url; validated and normalized)',
        params: IncidentParams,
        body: ObservableBody,
        response: { 201: ObservableSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await incidents.addObservable(
            request.params.id,
            request.body,
            actorFor(request.principal, request.ip),
          ),
        ),
  );

  app.delete(
    '/api/v1/incidents/:id/observables/:observableId',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Remove an observable',
        params: ObservableParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await incidents.removeObservable(
        request.params.id,
        request.params.observableId,
        actorFor(request.principal, request.ip),
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/incidents/:id/tasks',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Add a task (status todo)',
        params: IncidentParams,
        body: TaskBody,
        response: { 201: TaskSchema, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await incidents.addTask(request.params.id, request.body, actorFor(request.principal, request.ip)),
        ),
  );

  app.patch(
    '/api/v1/incidents/:id/tasks/:taskId',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: TAGS,
        summary: 'Change a task: title, status (todo, done), assignee',
        params: TaskParams,
        body: TaskPatchBody,
        response: { 200: TaskSchema, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) =>
      incidents.updateTask(
        request.params.id,
        request.params.taskId,
        request.body,
        actorFor(request.principal, request.ip),
      ),
  );
};
