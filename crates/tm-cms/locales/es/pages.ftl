# tm's pages in Spanish. Keys: as in ../en/pages.ftl (the reference).

## Site chrome

skip-to-content = Saltar al contenido principal
nav-help = Ayuda
nav-about = Acerca de
nav-privacy = Privacidad
nav-source = Código fuente
language-label = Idioma
language-submit = Cambiar idioma
optional = opcional
page-render-failed = No se ha podido mostrar esta página.

## Dates written by the server, in UTC

date-time-utc = { $time } UTC
date-datetime-utc = { $day } { $month } { $year }, { $time } UTC
date-month-short = { $month ->
    [1] ene
    [2] feb
    [3] mar
    [4] abr
    [5] may
    [6] jun
    [7] jul
    [8] ago
    [9] sept
    [10] oct
    [11] nov
   *[12] dic
}

## Room lifetimes

lifetime-label = Mantenerla abierta durante
lifetime-from-now = { $lifetime } a partir de ahora
lifetime-2h = 2 horas
lifetime-1d = 1 día
lifetime-1w = 1 semana
lifetime-1m = 1 mes
lifetime-1y = 1 año

## Home page

home-title = { $site }: una sala para tu público
home-heading = Abre una sala para tu clase o tu charla
home-intro = Elige un nombre, comparte el enlace y todo el mundo podrá publicar mensajes cortos que aparecen al instante. Sin cuentas.
home-join-heading = Entrar en una sala
home-join-room = Nombre o enlace de la sala
home-join-submit = Entrar
home-create-heading = Abrir una sala nueva
home-room-name = Nombre de la sala
home-room-name-example = tu-nombre
home-room-name-rules = de 3 a 64 caracteres: a–z, 0–9 y guiones
home-topic = Tema
home-hashtags = Seguir hashtags
home-hashtags-hint = opcional, separados por espacios: las publicaciones de Twitter, Mastodon y Bluesky aparecen en la sala
home-password = Contraseña
home-password-hint = opcional: solo quien la conozca podrá entrar
home-create-submit = Crear sala

## Room page

room-open-until = Abierta hasta el
room-keep-open-longer = mantenerla abierta más tiempo
room-you-own-it = Esta sala es tuya.
room-owner-link-once = Guarda este enlace para gestionarla desde otro dispositivo; solo se muestra una vez:
connection-closed = cerrada
connection-offline-room = sin conexión en directo (se puede seguir publicando)
connection-offline-owner = sin conexión en directo (recarga para ver mensajes nuevos)
room-link-projector = Proyector
room-link-transcript = Transcripción
room-link-owner = Gestión de la sala
room-link-moderate = Moderar
room-state-paused = Esta sala está en pausa: por ahora no se puede publicar.
room-state-closed = Esta sala está cerrada.
room-state-name = { $state ->
    [open] abierta
    [paused] en pausa
   *[closed] cerrada
}
room-nickname = Apodo
room-message = Mensaje
room-message-limit = hasta { $max } caracteres
room-post = Publicar
reactions-label = Reacciones
react-with = Reaccionar con { $emoji }
pinned-section-label = Fijado
pinned-label = Fijado:
polls-label = Encuestas
polls-heading = Encuestas
sort-label = Ordenar:
sort-newest = Más recientes
sort-most-votes = Más votados
messages-label = Mensajes
messages-heading = Mensajes
messages-none-yet = Todavía no hay mensajes.
messages-none = No hay mensajes.

## One message

vote-label = Votar el mensaje de { $nickname }: { $excerpt }
badge-answered = respondida
badge-pinned = fijado
message-via = vía { $kind }
message-waiting-for-approval = pendiente de aprobación
message-author-muted = autor silenciado

## The owner's and moderators' buttons on a message

action-approve = Aprobar
action-approve-label = Aprobar a { $nickname }: { $excerpt }
action-reject = Rechazar
action-reject-label = Rechazar a { $nickname }: { $excerpt }
action-delete = Eliminar
action-delete-label = Eliminar a { $nickname }: { $excerpt }
action-mark-answered = Marcar como respondida
action-mark-unanswered = Marcar como no respondida
action-pin = Fijar
action-unpin = Desfijar
action-mute = Silenciar a { $nickname }
action-unmute = Dejar de silenciar a { $nickname }
close-question = ¿Cerrar { $slug } definitivamente? Ya nadie podrá publicar en ella y su nombre quedará libre para una sala nueva. Su transcripción seguirá disponible.

## Polls

poll-voted = { $count ->
    [one] ha votado
   *[other] han votado
}
poll-state-open = abierta
poll-state-open-any = abierta, elección múltiple
poll-state-closed = cerrada
poll-option-share = { $option }: { $share } %
poll-option-count = { $votes } ({ $share } %)
poll-close = Cerrar la encuesta «{ $question }»

## Closed room, closing, embedding, errors

closed-heading = { $slug } está cerrada
closed-by-owner = La cerró su propietario.
closed-by-admin = La cerraron los administradores del sitio.
closed-expired = Se acabó su tiempo.
closed-no-posting = Ya nadie puede publicar en ella.
closed-read-transcript = Leer la transcripción
closed-transcript-of-everything = de todo lo que se dijo.
closed-name-free = Su nombre vuelve a estar libre:
closed-open-new-room = abre una sala nueva llamada { $slug }, si quieres.
confirm-close-heading = ¿Cerrar { $slug }?
confirm-close-yes = Sí, cerrar la sala
confirm-close-no = No, mantenerla abierta
embed-join = Únete a la conversación
error-page-open-new-room = Abrir una sala nueva
error-page-not-found-heading = No encontrado
error-page-not-found-detail = Aquí no hay ninguna sala ni página. Las salas desaparecen algún tiempo después de cerrarse.
error-page-closed-heading = Esta sala está cerrada
error-page-closed-detail = La cerró su propietario o se acabó su tiempo.
error-page-unavailable-heading = Volvemos enseguida
error-page-unavailable-detail = El servicio no puede acceder a su base de datos en este momento. Inténtalo de nuevo en breve; no se ha perdido nada de lo que ya publicaste.
error-page-forbidden-heading = No permitido
error-page-forbidden-detail = Para esto hace falta el enlace del propietario de la sala o iniciar sesión como administrador.
error-page-other-heading = Algo ha salido mal
error-page-other-detail = Inténtalo de nuevo.

## Password, projector, transcript, source

password-title = contraseña
password-asked = Esta sala pide una contraseña.
password-label = Contraseña
password-submit = Entrar
projector-title = proyector
projector-paused = En pausa
projector-closed = Cerrada
projector-join-at = Participa en
top-questions = Preguntas más votadas
transcript-title = transcripción
transcript-heading = Transcripción de { $slug }
transcript-download = Descargar:
transcript-text = texto
transcript-back = volver a la sala
source-licence = Este sitio funciona con tm { $version }, software libre bajo la GNU Affero General Public License, versión 3 o posterior.
source-not-published = Puedes obtener su código fuente de quienes gestionan este sitio; todavía no han publicado aquí un enlace
source-licence-heading = Licencia

## Owner controls

owner-title = Gestión de la sala
owner-heading = Gestión de la sala:
owner-sign-in-title = Acceso del propietario
owner-sign-in-explained = Para esto hace falta el enlace de propietario de la sala. Abre el enlace que recibiste al crearla o pega aquí el token de propietario
sign-in-token-part = (la parte que sigue a
sign-in-token-part-end = ).
owner-token = Token de propietario
owner-sign-in-submit = Abrir la gestión
owner-new-link = Nuevo enlace de propietario.
owner-new-link-explained = El anterior ya no funciona. Guarda este para gestionar la sala desde otro dispositivo; solo se muestra una vez:
owner-read-transcript = Leer su transcripción.
owner-settings = Ajustes
owner-hashtags = Hashtags
owner-hashtags-hint = separados por espacios
owner-slow-mode = Modo lento
owner-slow-mode-hint = segundos entre publicaciones de una misma persona; 0 o vacío = desactivado
owner-moderation = Moderación
owner-moderation-post = Mostrar las publicaciones al momento
owner-moderation-approve = Aprobar cada publicación antes
owner-blocked-words = Palabras bloqueadas
owner-blocked-words-hint = una palabra o frase por línea; las publicaciones que usen alguna esperan tu aprobación
owner-save-settings = Guardar ajustes
owner-closing-time = Hora de cierre
owner-closes-on = La sala se cierra sola el
owner-transcript-stays = Su transcripción seguirá disponible después.
owner-set-closing-time = Fijar la hora de cierre
owner-posting = Publicación
owner-pause = Pausar las publicaciones
owner-resume = Reanudar las publicaciones
owner-rotate = Nuevo enlace de propietario (el anterior deja de funcionar)
owner-close = Cerrar la sala
owner-embed = Insertar
owner-embed-hint = Muestra los mensajes de la sala, en directo y de solo lectura, en otra página web (la página de un curso, un blog): pega este código en su HTML.
owner-embed-code = Código para insertar
owner-embed-copy = Copiar el código para insertar
owner-reactions = Emojis de reacción
owner-reactions-hint = de 1 a 8, separados por espacios; los participantes los pulsan y el proyector muestra los recuentos
owner-save-reactions = Guardar reacciones
owner-poll-question = Pregunta
owner-poll-options = Opciones
owner-poll-options-hint = una por línea, de 2 a 10
owner-poll-multiple = Se pueden elegir varias opciones
owner-poll-open = Abrir la encuesta
owner-no-polls = Todavía no hay encuestas.
owner-moderators = Moderadores
owner-moderators-explained = Un enlace de moderador permite eliminar, aprobar y rechazar mensajes, silenciar a personas y marcar preguntas, pero no cambiar los ajustes de la sala, cerrarla ni hacer encuestas.
owner-moderator-since = desde el
owner-revoke = Revocar a { $label }
owner-no-moderators = No hay moderadores.
owner-moderator-name = Nombre
owner-moderator-name-hint = opcional; con él aparece en el registro de auditoría
owner-add-moderator = Añadir un enlace de moderador
owner-muted = Silenciados
owner-muted-hint = Las personas silenciadas no pueden publicar aquí, y se omiten las publicaciones de autores silenciados de Twitter, Mastodon y Bluesky.
owner-muted-since = silenciado el
owner-nobody-muted = No hay nadie silenciado.
audit-heading = Registro de auditoría
audit-when = Cuándo
audit-who = Quién
audit-action = Acción
audit-target = Objetivo
audit-empty = Nada todavía.

## Co-moderators

moderate-title = Moderar
moderate-heading = Moderar:
moderate-you-are = Moderas esta sala como
moderate-audited = Tus acciones constan con tu nombre en el registro de auditoría de la sala.
moderator-sign-in-title = Acceso de moderador
moderator-sign-in-explained = Para esto hace falta un enlace de moderador de esta sala. Abre el enlace que te dio el propietario de la sala o pega aquí su token
moderator-token = Token de moderador
moderator-sign-in-submit = Abrir la página de moderación
moderator-link-title = Enlace de moderador
moderators-heading-prefix = Moderadores:
moderator-link-new = Nuevo enlace de moderador.
moderator-link-explained = Dáselo a quien vaya a moderar contigo: permite eliminar, aprobar y rechazar mensajes, silenciar a personas y marcar preguntas, pero no cambiar la sala. Solo se muestra una vez:
moderator-link-already-shown = Este enlace ya se mostró. Si se perdió, añade otro moderador (y revoca el anterior).
back-to-owner-controls = Volver a la gestión de la sala

## Site admin

admin-title = Administración
admin-sign-in = Acceso de administración
admin-user = Usuario
admin-sign-in-submit = Iniciar sesión
admin-sign-out = Cerrar la sesión de { $name }
admin-pages = Páginas
admin-new-page = Página nueva
admin-page = Página
admin-page-title = Título
admin-edit = Editar
admin-no-pages = No hay páginas.
admin-rooms = Salas
admin-room = Sala
admin-state = Estado
admin-expires = Caduca
admin-close-room = Cerrar
admin-close-room-label = Cerrar { $slug }
admin-no-rooms = No hay salas.
admin-edit-page = Editar página
admin-edit-page-named = Editar { $path }
admin-page-address = Dirección
admin-page-text = Texto
admin-save = Guardar
admin-back = Volver

## Messages of the pages' forms

join-type-a-name = Escribe el nombre de la sala.
join-not-a-name = Eso no es un nombre de sala: { $reason }.
join-no-such-room = No hay ninguna sala llamada { $slug }. Comprueba cómo se escribe con quien te dio el nombre.
notice-settings-saved = Ajustes guardados.
notice-lifetime-set = Nueva hora de cierre guardada: consulta «Hora de cierre».
admin-too-many-attempts = Demasiados intentos; espera un minuto.
admin-wrong-login = Usuario o contraseña incorrectos.
admin-page-invalid = Las direcciones usan a–z, 0–9 y guiones; el título es obligatorio; textos de hasta 200 kB.
owner-wrong-token = Ese no es el token de propietario de esta sala.
moderator-wrong-token = Ese no es un enlace de moderador de esta sala, o se revocó.
owner-slow-mode-invalid = El modo lento es un número entero de segundos entre 0 y { $max } (0 o vacío = desactivado).

# The plain-text answer to a form posted from another site.
form-cross-site = Este formulario debe enviarse desde este sitio.
