// Serves the built console (static files from `npm run build`, nothing from a CDN) at `/`, under
// a strict Content-Security-Policy: only the appliance's own scripts and styles, no inline code,
// no framing, no plugins. Plot SVGs are shown as data: images, the camera preview as blob:.
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export const CONSOLE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  manifestSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
} as const;

export const consoleSite: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...CONSOLE_CSP } },
    // The camera (getUserMedia) is the one powerful feature the console uses, and only here.
    permittedCrossDomainPolicies: true,
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
  });
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: 'index.html', cacheControl: true, maxAge: 0 });
};
